# ingest rules: to be written
