# Unplug and power loss at the middle request of every phase (the F407 tests take the
# first, middle and last) of a FOME update through the ROM DFU bootloader (fome_faults.sh)
# on the 1 MB F767 in dual-bank mode (nDBANK=0, as FOME needs), board proteus_f7.
FOME_FAULT_PICKS=middle exec bash "$(dirname "$0")/fome_faults.sh" stm32f767zg proteus_f7 dfu
