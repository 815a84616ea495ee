"""Run the command line as `python -m cleanseed`."""

from cleanseed.cli import main

if __name__ == "__main__":
    main()
