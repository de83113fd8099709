# Empty dependencies file for ransim_cli.
# This may be replaced when dependencies are built.
