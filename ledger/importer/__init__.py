"""Reading the exchange format (CSV files, XLSX workbooks, folders) into validated rows."""
