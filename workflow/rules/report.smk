# report rules: to be written
