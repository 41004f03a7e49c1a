"""The record page: devices, consent, the guided take with live feedback."""
