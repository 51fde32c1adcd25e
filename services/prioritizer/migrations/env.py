from services.prioritizer.models import Base
from services.prioritizer.settings import PrioritizerSettings
from shared.migrations import run_env

run_env(Base.metadata, lambda: PrioritizerSettings().database_url)
