"""Reports, packs and exports: queries -> frames -> PDF/XLSX/CSV/HTML."""
