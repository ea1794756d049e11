# Unplug and power loss at every phase of a FOME update through OpenBLT (fome_faults.sh)
# on the F407, board f407-discovery.
exec bash "$(dirname "$0")/fome_faults.sh" stm32f407 f407-discovery openblt
