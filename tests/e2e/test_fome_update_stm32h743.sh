# The FOME update journeys (fome_journeys.sh) on the H743, board proteus_h7.
exec bash "$(dirname "$0")/fome_journeys.sh" stm32h743 proteus_h7
