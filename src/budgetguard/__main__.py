from budgetguard.cli import main

main()
