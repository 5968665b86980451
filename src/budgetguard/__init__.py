"""budgetguard: watches every shop's monthly advertising budget on the platform's database."""

__version__ = "0.1.0"

DEFAULT_DATABASE_URL = "sqlite:///budgetguard.db"
"""BUDGETGUARD_DATABASE_URL's default (config.py); here, so that the command's help shows it
without loading the settings' libraries."""
