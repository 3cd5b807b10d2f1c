"""Operations of one node: backup and restore (services.py), data retention under UU 27/2022
(retention.py), and their commands `flask ops backup|restore|retention` (cli.py).
docs/operations.md, "Cadangan dan pemulihan" and "Retensi data (UU 27/2022)"."""
