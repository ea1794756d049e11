/*
 * error.c - names and sentences for enum dfu_err.
 *
 * Both functions switch without a default: -Wswitch makes a new error code
 * that lacks a sentence a build failure.
 */
#include "dfuflash.h"

const char *dfu_strerror(int err)
{
	switch ((enum dfu_err)err) {
	case DFU_OK: return "success";
	case DFU_ERR_INVALID_ARG: return "invalid argument";
	case DFU_ERR_NO_MEM: return "out of memory";
	case DFU_ERR_IO: return "file input/output error";
	case DFU_ERR_FORMAT: return "malformed file";
	case DFU_ERR_CHECKSUM: return "checksum mismatch";
	case DFU_ERR_UNSUPPORTED: return "not supported";
	case DFU_ERR_OVERLAP: return "overlapping data";
	case DFU_ERR_RANGE: return "address or size out of range";
	case DFU_ERR_NOT_FOUND: return "not found";
	case DFU_ERR_NO_DEVICE: return "no DFU device found";
	case DFU_ERR_AMBIGUOUS: return "more than one DFU device matches";
	case DFU_ERR_ACCESS: return "permission denied opening the USB device";
	case DFU_ERR_BUSY: return "USB device is in use by another program";
	case DFU_ERR_USB: return "USB transfer failed";
	case DFU_ERR_TIMEOUT: return "device did not answer in time";
	case DFU_ERR_STALL: return "device stalled the request";
	case DFU_ERR_DISCONNECTED: return "device disconnected";
	case DFU_ERR_DEVICE: return "device reported an error";
	case DFU_ERR_PROTOCOL: return "device answered outside the DFU protocol";
	case DFU_ERR_PROTECTED: return "flash read protection is on";
	case DFU_ERR_VERIFY: return "verify failed: flash differs from the image";
	case DFU_ERR_MISMATCH: return "file was made for another device";
	case DFU_ERR_CANCELLED: return "cancelled";
	case DFU_ERR_NOT_STARTED: return "the firmware did not start";
	}
	return "unknown error";
}

const char *dfu_errname(int err)
{
	switch ((enum dfu_err)err) {
	case DFU_OK: return "OK";
	case DFU_ERR_INVALID_ARG: return "INVALID_ARG";
	case DFU_ERR_NO_MEM: return "NO_MEM";
	case DFU_ERR_IO: return "IO";
	case DFU_ERR_FORMAT: return "FORMAT";
	case DFU_ERR_CHECKSUM: return "CHECKSUM";
	case DFU_ERR_UNSUPPORTED: return "UNSUPPORTED";
	case DFU_ERR_OVERLAP: return "OVERLAP";
	case DFU_ERR_RANGE: return "RANGE";
	case DFU_ERR_NOT_FOUND: return "NOT_FOUND";
	case DFU_ERR_NO_DEVICE: return "NO_DEVICE";
	case DFU_ERR_AMBIGUOUS: return "AMBIGUOUS";
	case DFU_ERR_ACCESS: return "ACCESS";
	case DFU_ERR_BUSY: return "BUSY";
	case DFU_ERR_USB: return "USB";
	case DFU_ERR_TIMEOUT: return "TIMEOUT";
	case DFU_ERR_STALL: return "STALL";
	case DFU_ERR_DISCONNECTED: return "DISCONNECTED";
	case DFU_ERR_DEVICE: return "DEVICE";
	case DFU_ERR_PROTOCOL: return "PROTOCOL";
	case DFU_ERR_PROTECTED: return "PROTECTED";
	case DFU_ERR_VERIFY: return "VERIFY";
	case DFU_ERR_MISMATCH: return "MISMATCH";
	case DFU_ERR_CANCELLED: return "CANCELLED";
	case DFU_ERR_NOT_STARTED: return "NOT_STARTED";
	}
	return "UNKNOWN";
}
