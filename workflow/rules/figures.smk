# figures rules: to be written
