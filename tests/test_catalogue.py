"""The bundled source catalogue parses, names are unique, schedules are valid crontabs."""

from monitor.config import load_sources
from monitor.schedule import cron_trigger
from seeds import SEEDS_DIR


def test_catalogue_is_valid() -> None:
    sources = load_sources(SEEDS_DIR / "sources.yaml")
    names = [s.name for s in sources]
    assert len(names) == len(set(names)) >= 14
    regions = {s.region for s in sources}
    for district in ("石景山", "海淀", "东城", "西城", "大兴", "朝阳", "怀柔", "通州", "经济技术开发区", "北京市"):
        assert any(district in r for r in regions), district
    for source in sources:
        cron_trigger(source.schedule)
        assert source.download_delay and source.download_delay >= 2  # polite to government hosts
        assert all(u.startswith(("http://", "https://")) for u in source.start_urls)
    api = next(s for s in sources if s.kind == "json_api")
    assert api.api and api.api["status_field"] == "youxiaoxing"
