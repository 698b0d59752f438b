"""Monthly figures of any organisation over its subtree, the charts and files made of them, and a
cell's monthly report (báo cáo tháng) to the committee above: figures.py, charts.py, export.py,
reports.py; models.py holds their tables, scheduled.py their periodic work."""
