# weighting rules: to be written
