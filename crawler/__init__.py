"""The Scrapy project: spiders yield items and requests; pipelines hand items to monitor.ingest."""
