# workbook rules: to be written
