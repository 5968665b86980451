"""budgetguard: watches every shop's monthly advertising budget on the platform's database."""

__version__ = "0.1.0"
