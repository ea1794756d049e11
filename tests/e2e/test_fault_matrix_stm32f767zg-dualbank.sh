# The fault matrix (test_fault_matrix.sh) on the stm32f767zg (1 MB) in dual-bank mode
# (nDBANK=0), its ROM's wrong-sector erase quirk on.
FM_OUT=${FM_OUT:-${DFU_BUILD_DIR:-$PWD}/fault_matrix_stm32f767zg-dualbank.md} exec bash "$(dirname "$0")/test_fault_matrix.sh" --run stm32f767zg-dualbank
