"""What a cell is: presets, --set/--grid resolution, variants, experiment files, the run spec and its ids."""
