"""📈 Số liệu tổng hợp and the cells' monthly reports (báo cáo tháng)."""
