"""Field emulator: trains over MQTT and substation PLCs over Modbus TCP, speaking the ICD."""
