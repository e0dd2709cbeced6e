# estimates rules: to be written
