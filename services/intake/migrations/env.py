from services.intake.models import Base
from services.intake.settings import IntakeSettings
from shared.migrations import run_env

run_env(Base.metadata, lambda: IntakeSettings().database_url)
