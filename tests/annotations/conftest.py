import pytest


@pytest.fixture
def leader2(demo):
    """A second leader, 陈领导, whom a 批示 can ask to 阅示."""
    from directory.demo import PASSWORD
    from directory.services import ensure_user

    return ensure_user("leader2", full_name="陈领导", role="领导", password=PASSWORD)
