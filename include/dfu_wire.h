/*
 * dfu_wire.h - the numbers on the wire, in one place: USB descriptor and
 * request codes, DFU 1.1 requests, states and statuses, ST DfuSe commands.
 * Shared by libdfuflash (lib/), the simulator (sim/) and the tests, so the
 * host and the model can never disagree about a constant. Plain C, no
 * functions; dfuflash.h includes it.
 *
 * Sources: USB 2.0 chapter 9; USB DFU 1.1 (sections 3, 4.1.3, 6.1.2, 6.2);
 * ST AN3156 section 6 (DfuSe commands).
 */
#ifndef DFU_WIRE_H
#define DFU_WIRE_H

/* USB 2.0 table 9-5: descriptor types; DFU 1.1 4.1.3: the functional one. */
#define DFU_USB_DT_DEVICE 0x01
#define DFU_USB_DT_CONFIG 0x02
#define DFU_USB_DT_STRING 0x03
#define DFU_USB_DT_INTERFACE 0x04
#define DFU_USB_DT_DFU_FUNCTIONAL 0x21

/* USB 2.0 table 9-4: standard requests. */
#define DFU_USB_REQ_GET_STATUS 0x00
#define DFU_USB_REQ_CLEAR_FEATURE 0x01
#define DFU_USB_REQ_SET_FEATURE 0x03
#define DFU_USB_REQ_SET_ADDRESS 0x05
#define DFU_USB_REQ_GET_DESCRIPTOR 0x06
#define DFU_USB_REQ_GET_CONFIGURATION 0x08
#define DFU_USB_REQ_SET_CONFIGURATION 0x09
#define DFU_USB_REQ_GET_INTERFACE 0x0A
#define DFU_USB_REQ_SET_INTERFACE 0x0B

/* USB 2.0 table 9-2: the fields of bmRequestType. */
#define DFU_USB_DIR_IN 0x80
#define DFU_USB_TYPE_MASK 0x60
#define DFU_USB_TYPE_STANDARD 0x00
#define DFU_USB_TYPE_CLASS 0x20
#define DFU_USB_RECIP_MASK 0x1F
#define DFU_USB_RECIP_DEVICE 0x00
#define DFU_USB_RECIP_INTERFACE 0x01
#define DFU_USB_RECIP_ENDPOINT 0x02

/* bmRequestType: standard device-to-host, and DFU class requests to an
 * interface (DFU 1.1 section 3). */
#define DFU_RT_STD_IN 0x80
#define DFU_RT_OUT 0x21
#define DFU_RT_IN 0xA1

/* Interface class of a DFU interface (DFU 1.1 section 4.2.1 and 4.2.3). */
#define DFU_USB_CLASS_APP_SPECIFIC 0xFE
#define DFU_USB_SUBCLASS_DFU 0x01
#define DFU_USB_PROTOCOL_RUNTIME 0x01
#define DFU_USB_PROTOCOL_DFU_MODE 0x02

/* US English, the language id every ROM answers string requests in. */
#define DFU_USB_LANGID_EN_US 0x0409

/* DFU 1.1 section 3: class requests. */
enum dfu_request {
	DFU_REQ_DETACH = 0,
	DFU_REQ_DNLOAD = 1,
	DFU_REQ_UPLOAD = 2,
	DFU_REQ_GETSTATUS = 3,
	DFU_REQ_CLRSTATUS = 4,
	DFU_REQ_GETSTATE = 5,
	DFU_REQ_ABORT = 6,
};

/* DFU 1.1 section 6.1.2: bState. */
enum dfu_state {
	DFU_STATE_APP_IDLE = 0,
	DFU_STATE_APP_DETACH = 1,
	DFU_STATE_IDLE = 2,
	DFU_STATE_DNLOAD_SYNC = 3,
	DFU_STATE_DNBUSY = 4,
	DFU_STATE_DNLOAD_IDLE = 5,
	DFU_STATE_MANIFEST_SYNC = 6,
	DFU_STATE_MANIFEST = 7,
	DFU_STATE_MANIFEST_WAIT_RESET = 8,
	DFU_STATE_UPLOAD_IDLE = 9,
	DFU_STATE_ERROR = 10,
};

/* DFU 1.1 section 6.1.2: bStatus. */
enum dfu_status_code {
	DFU_STATUS_OK = 0,
	DFU_STATUS_ERR_TARGET = 1,
	DFU_STATUS_ERR_FILE = 2,
	DFU_STATUS_ERR_WRITE = 3,
	DFU_STATUS_ERR_ERASE = 4,
	DFU_STATUS_ERR_CHECK_ERASED = 5,
	DFU_STATUS_ERR_PROG = 6,
	DFU_STATUS_ERR_VERIFY = 7,
	DFU_STATUS_ERR_ADDRESS = 8,
	DFU_STATUS_ERR_NOTDONE = 9,
	DFU_STATUS_ERR_FIRMWARE = 10,
	DFU_STATUS_ERR_VENDOR = 11,
	DFU_STATUS_ERR_USBR = 12,
	DFU_STATUS_ERR_POR = 13,
	DFU_STATUS_ERR_UNKNOWN = 14,
	DFU_STATUS_ERR_STALLEDPKT = 15,
};
#define DFU_STATUS_COUNT 16

/* The GETSTATUS reply is this long (DFU 1.1 section 6.1.2). */
#define DFU_STATUS_LEN 6

/* DFU 1.1 section 4.1.3: bmAttributes of the functional descriptor. */
#define DFU_ATTR_CAN_DNLOAD 0x01
#define DFU_ATTR_CAN_UPLOAD 0x02
#define DFU_ATTR_MANIFESTATION_TOLERANT 0x04
#define DFU_ATTR_WILL_DETACH 0x08

/* AN3156 section 6: DfuSe commands, the first byte of a DNLOAD with
 * wBlockNum 0 (UPLOAD block 0 lists them). */
enum dfuse_command {
	DFUSE_CMD_GET = 0x00,
	DFUSE_CMD_SET_ADDRESS = 0x21,
	DFUSE_CMD_ERASE = 0x41,
	DFUSE_CMD_READ_UNPROTECT = 0x92,
};

/* AN3156 6.2 and 6.6: data blocks start at this number; the byte address
 * of block n is (n - 2) * wTransferSize + the address pointer. */
#define DFUSE_FIRST_BLOCK 2
/* Where the ROM's address pointer is when nobody set it (AN3156 6.2). */
#define DFUSE_DEFAULT_ADDRESS 0x08000000u

/* ------------------------------------------------------------------------ */
/* The ECU's USB serial port: FOME's TunerStudio console and OpenBLT's XCP   */
/* ------------------------------------------------------------------------ */

/* The running FOME (or rusEFI) ECU and its OpenBLT: CDC-ACM, the same ids. */
#define FOME_USB_VID 0x0483
#define FOME_USB_PID 0x5740

/* TunerStudio framing (fome-fw console/binary): u16 big-endian payload
 * length, payload, CRC-32 (zlib) of the payload big-endian. A reply's
 * payload starts with a status byte. */
#define TS_RESPONSE_OK 0x00
#define TS_RESPONSE_UNRECOGNIZED_COMMAND 0x83
#define TS_HELLO_COMMAND 'S'         /* -> status, signature, NUL */
#define TS_QUERY_COMMAND 'Q'         /* the same */
#define TS_QUERY_BOOTLOADER 'L'      /* -> status, 1 = OpenBLT present */
#define TS_QUERY_BOOTLOADER_NONE 0
#define TS_QUERY_BOOTLOADER_OPENBLT 1
#define TS_EXECUTE 'E'               /* + a console command, "reboot_dfu" */
#define TS_IO_TEST_COMMAND 'Z'       /* + u16 BE subsystem, u16 BE index */
#define TS_SUBSYSTEM_REBOOT_DFU 0xBA
#define TS_SUBSYSTEM_REBOOT_OPENBLT 0xBC
/* fome-fw: "rusEFI (FOME) <branch>.<yyyy.MM.dd>.<board>.<hash>" */
#define FOME_SIGNATURE_PREFIX "rusEFI (FOME) "

/* OpenBLT's XCP 1.0 on the serial port (openblt Target/Source/xcp.h):
 * every packet [len][len bytes], no checksum. */
#define XCP_PID_RES 0xFF
#define XCP_PID_ERR 0xFE
#define XCP_CMD_CONNECT 0xFF
#define XCP_CMD_DISCONNECT 0xFE
#define XCP_CMD_GET_STATUS 0xFD
#define XCP_CMD_SYNCH 0xFC
#define XCP_CMD_GET_ID 0xFA
#define XCP_CMD_SET_MTA 0xF6
#define XCP_CMD_UPLOAD 0xF5
#define XCP_CMD_SHORT_UPLOAD 0xF4
#define XCP_CMD_BUILD_CHECKSUM 0xF3
#define XCP_CMD_PROGRAM_START 0xD2
#define XCP_CMD_PROGRAM_CLEAR 0xD1
#define XCP_CMD_PROGRAM 0xD0
#define XCP_CMD_PROGRAM_RESET 0xCF
#define XCP_CMD_PROGRAM_MAX 0xC9
#define XCP_ERR_CMD_SYNCH 0x00
#define XCP_ERR_CMD_BUSY 0x10
#define XCP_ERR_CMD_UNKNOWN 0x20
#define XCP_ERR_OUT_OF_RANGE 0x22
#define XCP_ERR_ACCESS_LOCKED 0x25
#define XCP_ERR_PAGE_NOT_VALID 0x26
#define XCP_ERR_SEQUENCE 0x29
#define XCP_ERR_GENERIC 0x31
/* OpenBLT's BOOT_COM_RS232_TX/RX_MAX_DATA on FOME boards. */
#define XCP_MAX_CTO 240
#define XCP_MAX_DTO 240

#endif /* DFU_WIRE_H */
