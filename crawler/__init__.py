"""Scrapy project of newsarchive: spiders crawl, page modules extract, pipelines clean and store."""

__version__ = "0.1.0"
