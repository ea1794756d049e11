# Unplug and power loss at every phase of a FOME update through the ROM DFU bootloader (fome_faults.sh)
# on the H743, board proteus_h7.
exec bash "$(dirname "$0")/fome_faults.sh" stm32h743 proteus_h7 dfu
