"""Đắk Lắk Intelligent Operations Center (Trung tâm IOC tỉnh Đắk Lắk)."""

__version__ = "0.1.0"
