# Unplug and power loss at every phase of a FOME update through OpenBLT (fome_faults.sh)
# on the 1 MB F767 in dual-bank mode (nDBANK=0, as FOME needs), board proteus_f7.
exec bash "$(dirname "$0")/fome_faults.sh" stm32f767zg proteus_f7 openblt
