# register-table rules: to be written
