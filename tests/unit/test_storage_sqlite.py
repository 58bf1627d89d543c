import pytest

from tests.contracts.storage_contract import StorageContract


class TestSqliteStorage(StorageContract):
    @pytest.fixture
    def database_url(self, tmp_path):
        counter = iter(range(1000))
        return lambda: f"sqlite:///{tmp_path}/db{next(counter)}.db"
