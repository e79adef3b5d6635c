from components.stack.naming import LIMITS, Naming, physical_name


def test_names_come_from_project_stack_and_name():
    naming = Naming("mainstreet", "prod", "123456789012")
    assert naming("referral-stats", "table") == "mainstreet-prod-referral-stats"
    assert naming("ops-site", "bucket") == "mainstreet-prod-ops-site-123456789012"
    assert naming.path("origin-verify") == "/mainstreet/prod/origin-verify"


def test_long_names_are_cut_to_the_service_limit_and_stay_distinct():
    a = physical_name("mainstreet", "production-eu", "a-very-long-function-name-for-a-small-business-one", "function")
    b = physical_name("mainstreet", "production-eu", "a-very-long-function-name-for-a-small-business-two", "function")
    assert len(a) <= LIMITS["function"][0] and len(b) <= LIMITS["function"][0]
    assert a != b


def test_bucket_names_are_lower_case_and_legal():
    name = physical_name("Mainstreet", "Dev_1", "Brand Site", "bucket", "123456789012")
    assert name == "mainstreet-dev-1-brand-site-123456789012"
