from services.feedback.models import Base
from services.feedback.settings import FeedbackSettings
from shared.migrations import run_env

run_env(Base.metadata, lambda: FeedbackSettings().database_url)
