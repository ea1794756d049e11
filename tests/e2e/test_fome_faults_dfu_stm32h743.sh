# Unplug and power loss at the middle request of every phase (the F407 tests take the
# first, middle and last) of a FOME update through the ROM DFU bootloader (fome_faults.sh)
# on the H743, board proteus_h7.
FOME_FAULT_PICKS=middle exec bash "$(dirname "$0")/fome_faults.sh" stm32h743 proteus_h7 dfu
