/*
 * dfusim.h - libdfusim: a pure model of the STM32 ROM DFU bootloader and,
 * on FOME boards, of OpenBLT and the running application on their USB
 * serial port (sim/README.md: the whole ECU).
 *
 * The model does no I/O and reads no clock: every call that needs the time
 * is given it (now_us, a monotonic clock in microseconds chosen by the
 * caller). Front ends (dfusim run over umockdev, dfusim usbip) feed it
 * control transfers and act on the bus events it returns.
 *
 * Durations: the model computes each operation's duration from the chip
 * profile (erase per sector size, program per word, USB transfer time) and
 * multiplies it by the time scale (1.0 = the real chip, 0 = instant). The
 * poll timeouts the device reports in GETSTATUS are scaled the same way, so a
 * host that honours bwPollTimeout runs at the scaled speed. The statistics
 * keep the unscaled "model time" too.
 *
 * The simulator never links with libdfuflash's internals; it shares only the
 * wire definitions of DFU 1.1 / DfuSe (include/dfu_wire.h).
 */
#ifndef DFUSIM_H
#define DFUSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dfusim;

/* A USB setup packet, in host byte order. */
struct dfusim_setup {
	uint8_t bm_request_type;
	uint8_t b_request;
	uint16_t w_value;
	uint16_t w_index;
	uint16_t w_length;
};

enum dfusim_outcome {
	DFUSIM_ACK = 0,    /* completed; an IN request returns reply.len bytes */
	DFUSIM_STALL,      /* endpoint 0 stalls: the host sees EPIPE */
	DFUSIM_NO_ANSWER,  /* the device never answers: the host times out */
	DFUSIM_GONE,       /* the device has left the bus: the host sees ENODEV */
};

/* What happens on the bus after a transfer completes. */
enum dfusim_bus_event {
	DFUSIM_EV_NONE = 0,
	DFUSIM_EV_RESET_TO_DFU,  /* the chip resets and comes back in the ROM
				    bootloader (option-byte write, read
				    unprotect, power loss with return) */
	DFUSIM_EV_RUN_APP,       /* leave: the chip resets into the application */
	DFUSIM_EV_DISCONNECT,    /* the device drops off the bus and stays off */
};

struct dfusim_reply {
	enum dfusim_outcome outcome;
	size_t len;                  /* IN transfers: bytes written to data */
	uint64_t ready_at_us;        /* do not complete the transfer before
					this time (a GETSTATUS that arrives
					while the flash is busy blocks) */
	enum dfusim_bus_event event; /* after the transfer completes */
	uint64_t event_at_us;        /* when the event takes place */
	uint64_t back_at_us;         /* RESET_TO_DFU/RUN_APP: when the chip
					enumerates again */
	/* A GONE reply names again the event that took the device off the
	 * bus (DISCONNECT if there was none), with its times. */
};

/* Creates a simulator of a chip ("stm32f407", ... see dfusim_chip_name()).
 * Returns NULL for an unknown chip or no memory. Flash starts blank (0xFF),
 * option bytes at the chip's factory values. Free with dfusim_free(). */
struct dfusim *dfusim_new(const char *chip);
void dfusim_free(struct dfusim *sim);
/* Back to what dfusim_new() gave, without reallocating: blank flash,
 * factory option bytes, default quirks and serial, time scale 1, no faults,
 * no log callback, zero statistics, the ROM freshly enumerated. */
void dfusim_factory_reset(struct dfusim *sim);

/* The last configuration error as a sentence ("unknown quirk 'x'; known:
 * ..."); never NULL. */
const char *dfusim_error(const struct dfusim *sim);

/* Configuration, before the first transfer. Each returns 0 or -1 (and sets
 * dfusim_error()). */
int dfusim_set_time_scale(struct dfusim *sim, double scale);
int dfusim_set_serial(struct dfusim *sim, const char *serial);
/* NAME=VALUE by the chip's option-byte field names: RDP, nDBANK, nDBOOT,
 * BOOT_ADD0, BOOT_ADD1, nWRP, BOR_LEV, ... (case-insensitive). */
int dfusim_set_option(struct dfusim *sim, const char *name, uint32_t value);
int dfusim_set_quirk(struct dfusim *sim, const char *name, bool on);
/* The quirks, for listings: names by index (NULL past the end) and the
 * public report each reproduces (NULL for an unknown name). */
size_t dfusim_quirk_count(void);
const char *dfusim_quirk_name(size_t index);
const char *dfusim_quirk_report(const char *name);
/* A fault spec, e.g. "disconnect@dnload:5", "stall@getstatus:3",
 * "status=errWRITE@addr:0x08004000-0x08007fff", "timeout@upload:2",
 * "powerloss@dnload:40". Grammar documented in sim/fault.c. */
int dfusim_add_fault(struct dfusim *sim, const char *spec);

/* Chip profiles. */
size_t dfusim_chip_count(void);
const char *dfusim_chip_name(size_t index);   /* NULL past the end */
/* All profiles with all their numbers as JSON (malloc'd, caller frees). */
char *dfusim_chips_json(void);

/* USB identity of what is on the bus now (bootloader or application). */
struct dfusim_identity {
	uint16_t id_vendor;
	uint16_t id_product;
	uint16_t bcd_device;
	uint16_t bcd_usb;
	uint8_t device_class;
	uint8_t max_packet_size0;
	uint8_t configuration_value;
	const char *manufacturer;
	const char *product;
	const char *serial;
	const char *speed;        /* sysfs "speed": "12" for full speed */
};
void dfusim_identity(const struct dfusim *sim, struct dfusim_identity *out);

/* Device descriptor followed by the full configuration descriptor, as the
 * kernel shows them in sysfs "descriptors". Returns the length (which may
 * exceed cap; nothing past cap is written). */
size_t dfusim_descriptors(const struct dfusim *sim, uint8_t *buf, size_t cap);

/* One control transfer on endpoint 0. For OUT requests data holds
 * setup->w_length bytes from the host; for IN requests the model writes at
 * most setup->w_length (and at most cap) bytes into data. */
void dfusim_control(struct dfusim *sim, const struct dfusim_setup *setup,
		    uint8_t *data, size_t cap, uint64_t now_us,
		    struct dfusim_reply *reply);

/* Requests that usbdevfs carries as ioctls rather than control transfers. */
int dfusim_set_interface(struct dfusim *sim, uint8_t interface, uint8_t alt,
			 uint64_t now_us);
int dfusim_set_configuration(struct dfusim *sim, uint8_t value, uint64_t now_us);
/* A USB bus reset from the host (USBDEVFS_RESET). Returns the bus event it
 * causes: a DfuSe ROM in dfuMANIFEST-WAIT-RESET resets into the app. */
enum dfusim_bus_event dfusim_bus_reset(struct dfusim *sim, uint64_t now_us);

/* The front end calls this when the device enumerates again after an
 * event: the model starts afresh in the mode the event named. */
void dfusim_reenumerated(struct dfusim *sim, uint64_t now_us);

/* The running application was told to reboot into the ROM (FOME's
 * "reboot_dfu" console command, which a front end recognises): the device
 * leaves the bus now; returns when the bootloader enumerates, after which
 * the front end calls dfusim_reenumerated(). */
uint64_t dfusim_app_reboot_to_dfu(struct dfusim *sim, uint64_t now_us);

/*
 * The whole ECU: what runs after a reset is decided by BOOT0 and the flash
 * contents (sim/boot.c). Without a call to dfusim_set_boot_from_flash()
 * BOOT0 is held high: the chip powers up in the ROM, as dfusim always did.
 * From flash it runs OpenBLT, the FOME application or nothing, by what
 * flash holds. Call dfusim_power_on() after the flash is loaded.
 */
int dfusim_set_boot_from_flash(struct dfusim *sim, bool from_flash);
/* The chip's 96-bit unique ID (default: the profile's). FOME's USB serial
 * is made of it, and OpenBLT shows it at the UID registers. */
int dfusim_set_uid(struct dfusim *sim, const uint32_t uid[3]);
void dfusim_uid(const struct dfusim *sim, uint32_t uid[3]);
void dfusim_power_on(struct dfusim *sim, uint64_t now_us);
/* Whether anything is on the bus now (false: blank flash booted from
 * flash, or off the bus between a reset and its enumeration). */
bool dfusim_on_bus(const struct dfusim *sim);
/* "rom", "application", "openblt" or "none": what runs now. */
const char *dfusim_mode_name(const struct dfusim *sim);

/*
 * The CDC serial port of the application (FOME's TunerStudio console) or
 * of OpenBLT (XCP). dfusim_serial_input() takes what the host wrote at
 * now_us (len 0: only time passes, which a lone plain 'S' needs); a reboot
 * or fault comes back as reply->event with its times, as for control
 * transfers (outcome GONE: the chip is already leaving, nothing taken).
 * dfusim_serial_output() hands over the answers due by now_us (whole
 * answers only, at most cap bytes) and says in *next_us when the next one
 * is due (0: none waiting).
 */
void dfusim_serial_input(struct dfusim *sim, const uint8_t *data, size_t len,
			 uint64_t now_us, struct dfusim_reply *reply);
size_t dfusim_serial_output(struct dfusim *sim, uint8_t *buf, size_t cap, uint64_t now_us,
			    uint64_t *next_us);

/* Raw memories, for state files and tests. The pointers stay valid for the
 * simulator's life; writing through them changes the model's memory. */
uint8_t *dfusim_flash(struct dfusim *sim, uint32_t *base, size_t *size);
uint8_t *dfusim_option_bytes(struct dfusim *sim, uint32_t *address, size_t *size);

/* The DFU state (bState, DFU 1.1 section 6.1.2) and status (bStatus) the
 * device is in now, without a request; for tests and logs. */
int dfusim_dfu_state(const struct dfusim *sim);
int dfusim_dfu_status(const struct dfusim *sim);

/* Every request, one line each, for golden transcripts and --log, e.g.
 * "DNLOAD block=0 len=5 [21 00 40 00 08] -> ACK". */
typedef void (*dfusim_log_fn)(void *user, const char *line);
void dfusim_set_log(struct dfusim *sim, dfusim_log_fn fn, void *user);

/* Statistics as JSON (malloc'd, caller frees): requests by kind, bytes
 * moved, erases by sector, busy time, the model's time for the work. */
char *dfusim_stats_json(const struct dfusim *sim);

#ifdef __cplusplus
}
#endif

#endif /* DFUSIM_H */
