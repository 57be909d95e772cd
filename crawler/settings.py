"""Scrapy settings: fetching policy for government sites. Policy lives here, not in code."""

BOT_NAME = "policywatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Overridden by `[crawl] user_agent` in policywatch.toml (monitor.config.DEFAULT_USER_AGENT by default).
USER_AGENT = "policywatch/0.1 (+https://github.com/policywatch/policywatch)"
ROBOTSTXT_OBEY = True

# Government hosts throttle and block bursts: one or two connections per host, a delay, AutoThrottle.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Scrapy starts this many tasks for every response's output, however little it yields: a detail page
# yields one item and a list page one item and its links, so 100 (the default) is pure overhead.
CONCURRENT_ITEMS = 8
# Scrapy checks every response's callback for a generator returning a value by parsing its source;
# its cache is keyed weakly by the callable, and a bound method (self.parse_list) is a new object on
# every request, so the source was parsed again for each page (4% of a re-check's CPU). A lint, not
# behaviour: the spiders' generators return nothing.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Fetched pages waiting for the reader and store processes (crawler/writer.py), in bytes of their
# responses: past this Scrapy stops fetching until they catch up. Scrapy's 5 MB is ~250 government
# pages, which the store took seconds to work off after the last fetch, with a core idle (a 10,000-
# page first crawl ended 5 s after its last fetch); 1 MB (~50 pages) keeps the store fed.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024

# A redirect loop fails after this many hops (as a failed fetch with its reason).
REDIRECT_MAX_TIMES = 10

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Scrapy's retry, plus Retry-After: a host that asks for a pause gets it for the rest of the crawl.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    # Only http(s) on public addresses unless the source sets allow_private (every hop, robots.txt too).
    "crawler.addresses.PublicAddressMiddleware": 50,
}

# What a bare `scrapy crawl policy -a source=NAME` reads (crawler/context.py), as `policywatch` does:
POLICYWATCH_CONFIG = None  # policywatch.toml: settings and [database] url (default ./policywatch.toml if present)
POLICYWATCH_SOURCES = None  # the sources file (default ./seeds/sources.yaml, else the bundled catalogue)

ITEM_PIPELINES = {"crawler.pipelines.IngestPipeline": 300}
# AutoThrottle whose floor is each host's own download_delay and any Retry-After pause it asked for;
# a bare `scrapy crawl policy -a source=NAME` is a whole run, as `policywatch run --source NAME` is
# (off under `policywatch run`, which owns its run).
EXTENSIONS = {
    "monitor.scrapyrun.StandaloneRun": 100,
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.throttle.PoliteAutoThrottle": 0,
    # Off (below), and not even imported: the remote control's module imports aiohttp and builds an
    # SSL context, the telnet console's imports twisted.conch — on every run, for nothing.
    "scrapy.extensions.remote_control.RemoteControl": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
}
# Every request and item a callback yields passes each spider middleware's async wrapper. Depth is
# only counted (no DEPTH_LIMIT: a source's pagination is bounded by max_list_pages), and the meta-copy
# check is a lint for spiders copying response.meta, which ours do not: ~3% of a crawl's CPU together.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
# Scrapy ≥ 2.19 opens a code-executing HTTP endpoint per crawl (and writes its token to a file): a
# monitoring service has no use for it, and its imports (aiohttp) cost every run 0.2 s.
REMOTE_CONTROL_ENABLED = False
