import pytest

from tests.contracts.storage_contract import StorageContract


class TestPostgresStorage(StorageContract):
    @pytest.fixture
    def database_url(self, make_postgres_url):
        return make_postgres_url
