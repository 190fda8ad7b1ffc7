from storeboard.cli import main

main()
