"""Side channels of analog spiking neurons (SCANN): axon-hillock layers, their power and
spike-timing traces, template attacks and countermeasures."""
