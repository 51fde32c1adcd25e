from services.catalog.models import Base
from services.catalog.settings import CatalogSettings
from shared.migrations import run_env

run_env(Base.metadata, lambda: CatalogSettings().database_url)
