# nonresponse rules: to be written
