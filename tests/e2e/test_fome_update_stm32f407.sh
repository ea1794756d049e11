# The FOME update journeys (fome_journeys.sh) on the F407, board f407-discovery.
exec bash "$(dirname "$0")/fome_journeys.sh" stm32f407 f407-discovery
