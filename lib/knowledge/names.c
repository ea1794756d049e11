/*
 * names.c - the names of the protocol's and the engine's numbers, as
 * dfu-util prints them (DFU 1.1 section 6.1.2). Never NULL.
 */
#include "knowledge.h"

/* DFU 1.1 section 6.1.2 state names, as dfu-util prints them. */
const char *dfu_state_name(int state)
{
	switch ((enum dfu_state)state) {
	case DFU_STATE_APP_IDLE: return "appIDLE";
	case DFU_STATE_APP_DETACH: return "appDETACH";
	case DFU_STATE_IDLE: return "dfuIDLE";
	case DFU_STATE_DNLOAD_SYNC: return "dfuDNLOAD-SYNC";
	case DFU_STATE_DNBUSY: return "dfuDNBUSY";
	case DFU_STATE_DNLOAD_IDLE: return "dfuDNLOAD-IDLE";
	case DFU_STATE_MANIFEST_SYNC: return "dfuMANIFEST-SYNC";
	case DFU_STATE_MANIFEST: return "dfuMANIFEST";
	case DFU_STATE_MANIFEST_WAIT_RESET: return "dfuMANIFEST-WAIT-RESET";
	case DFU_STATE_UPLOAD_IDLE: return "dfuUPLOAD-IDLE";
	case DFU_STATE_ERROR: return "dfuERROR";
	}
	return "unknown";
}

/* DFU 1.1 section 6.1.2 status names. */
const char *dfu_status_name(int status)
{
	switch ((enum dfu_status_code)status) {
	case DFU_STATUS_OK: return "OK";
	case DFU_STATUS_ERR_TARGET: return "errTARGET";
	case DFU_STATUS_ERR_FILE: return "errFILE";
	case DFU_STATUS_ERR_WRITE: return "errWRITE";
	case DFU_STATUS_ERR_ERASE: return "errERASE";
	case DFU_STATUS_ERR_CHECK_ERASED: return "errCHECK_ERASED";
	case DFU_STATUS_ERR_PROG: return "errPROG";
	case DFU_STATUS_ERR_VERIFY: return "errVERIFY";
	case DFU_STATUS_ERR_ADDRESS: return "errADDRESS";
	case DFU_STATUS_ERR_NOTDONE: return "errNOTDONE";
	case DFU_STATUS_ERR_FIRMWARE: return "errFIRMWARE";
	case DFU_STATUS_ERR_VENDOR: return "errVENDOR";
	case DFU_STATUS_ERR_USBR: return "errUSBR";
	case DFU_STATUS_ERR_POR: return "errPOR";
	case DFU_STATUS_ERR_UNKNOWN: return "errUNKNOWN";
	case DFU_STATUS_ERR_STALLEDPKT: return "errSTALLEDPKT";
	}
	return "unknown";
}

/* The engine's phases as the progress output names them. */
const char *dfu_phase_name(enum dfu_phase phase)
{
	switch (phase) {
	case DFU_PHASE_ERASE: return "erase";
	case DFU_PHASE_WRITE: return "write";
	case DFU_PHASE_VERIFY: return "verify";
	case DFU_PHASE_READ: return "read";
	}
	return "unknown";
}
