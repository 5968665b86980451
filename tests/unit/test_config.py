import pytest

from budgetguard.config import load_settings
from budgetguard.domain.errors import ConfigError


def test_defaults_follow_the_spec() -> None:
    settings = load_settings()
    assert settings.thresholds == (50, 100)
    assert settings.pause_at == 100
    assert settings.timezone == "UTC"
    assert settings.database_url == "sqlite:///budgetguard.db"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUDGETGUARD_THRESHOLDS", "25, 50,100")
    monkeypatch.setenv("BUDGETGUARD_TIMEZONE", "Europe/Paris")
    settings = load_settings()
    assert settings.policy.thresholds == (25, 50, 100)
    assert settings.zone.key == "Europe/Paris"


def test_an_option_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUDGETGUARD_DATABASE_URL", "sqlite:///from-env.db")
    assert load_settings(database_url="sqlite:///x.db").database_url == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BUDGETGUARD_THRESHOLDS", "50,lots", "BUDGETGUARD_THRESHOLDS: expected whole percentages"),
        ("BUDGETGUARD_PAUSE_AT", "90", "the pause threshold 90 is not one of (50, 100)"),
        ("BUDGETGUARD_TIMEZONE", "Mars/Olympus", "BUDGETGUARD_TIMEZONE: unknown IANA time zone"),
        ("BUDGETGUARD_TIMEZONE", "America", "BUDGETGUARD_TIMEZONE: unknown IANA time zone"),
        ("BUDGETGUARD_TIMEZONE", "localtime", "BUDGETGUARD_TIMEZONE: unknown IANA time zone"),
        ("BUDGETGUARD_CHUNK_SIZE", "0", "BUDGETGUARD_CHUNK_SIZE: Input should be greater than"),
        ("BUDGETGUARD_LOG_LEVEL", "chatty", "BUDGETGUARD_LOG_LEVEL: expected DEBUG"),
    ],
)
def test_a_bad_setting_is_named_in_the_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings()


def test_derived_settings_are_parsed_once_and_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUDGETGUARD_THRESHOLDS", "80,50,100")
    monkeypatch.setenv("BUDGETGUARD_OPERATOR_CHANNELS", "console: mailto:ops@market.example")
    settings = load_settings()

    assert settings.policy.thresholds == (50, 80, 100)
    assert settings.policy is settings.policy
    assert settings.operator_recipients is settings.operator_recipients
    assert len(settings.operator_recipients) == 2
