# Empty dependencies file for ransim.
# This may be replaced when dependencies are built.
