/*
 * fmt_elf.c - ELF executables through libelf: the loadable program headers
 * (PT_LOAD) are what a programmer writes, at their physical addresses (the
 * load address in flash, not the run address of .data in RAM).
 */
#include "image.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libelf wants its version negotiated before any other call. */
static int elf_init(struct dfu_ctx *ctx)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "libelf is out of date: %s",
				elf_errmsg(-1));
	return DFU_OK;
}

/* Adds one PT_LOAD header's file bytes (p_filesz; the rest up to p_memsz is
 * zeroed RAM the startup code clears, not data to flash). */
static int elf_load_one(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
			size_t len, size_t i, const GElf_Phdr *ph,
			struct dfu_image *img, size_t t)
{
	char where[300];

	if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
		return dfu_fail(ctx, DFU_ERR_FORMAT, "%s: program header %zu: %llu bytes at "
				"byte %llu go past the end of the %zu-byte file (truncated?)",
				name, i, (unsigned long long)ph->p_filesz,
				(unsigned long long)ph->p_offset, len);
	if (ph->p_paddr > UINT32_MAX || ph->p_filesz > 0x100000000ull - ph->p_paddr)
		return dfu_fail(ctx, DFU_ERR_RANGE, "%s: program header %zu: %llu bytes at "
				"physical address 0x%llX go past 0xFFFFFFFF", name, i,
				(unsigned long long)ph->p_filesz,
				(unsigned long long)ph->p_paddr);
	snprintf(where, sizeof(where), "%s: program header %zu (byte %llu)", name, i,
		 (unsigned long long)ph->p_offset);
	return dfu_image_add(ctx, img, t, (uint32_t)ph->p_paddr, data + ph->p_offset,
			     (size_t)ph->p_filesz, where);
}

/*
 * Reads a 32- or 64-bit ELF file of either byte order. libelf parses a
 * private copy, since elf_memory() takes a writable buffer; the bytes
 * themselves are then taken from the caller's data after checking that
 * each header's range lies inside it.
 */
int dfu_fmt_elf_read(struct dfu_ctx *ctx, const char *name, const uint8_t *data,
		     size_t len, const struct dfu_read_opts *opts, struct dfu_image *img)
{
	GElf_Ehdr eh;
	Elf *e = NULL;
	char *copy = NULL;
	size_t phnum = 0, i, t;
	int ret;

	(void)opts;
	ret = elf_init(ctx);
	if (ret)
		return ret;
	copy = malloc(len ? len : 1);
	if (!copy)
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "%s: out of memory", name);
	memcpy(copy, data, len);
	e = elf_memory(copy, len);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		ret = dfu_fail(ctx, DFU_ERR_FORMAT, "%s: not a valid ELF file: %s", name,
			       elf_errmsg(-1));
		goto out;
	}
	if (elf_getphdrnum(e, &phnum) != 0) {
		ret = dfu_fail(ctx, DFU_ERR_FORMAT, "%s: byte %llu: bad program header table: %s",
			       name, (unsigned long long)eh.e_phoff, elf_errmsg(-1));
		goto out;
	}
	if (eh.e_type == ET_REL) {
		ret = dfu_fail(ctx, DFU_ERR_FORMAT, "%s: a relocatable object (.o) has no load "
			       "addresses: link it into an executable first", name);
		goto out;
	}
	ret = dfu_image_add_target(img, 0, NULL, &t);
	if (ret) {
		ret = dfu_fail(ctx, ret, "out of memory");
		goto out;
	}
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph)) {
			ret = dfu_fail(ctx, DFU_ERR_FORMAT, "%s: program header %zu: %s", name, i,
				       elf_errmsg(-1));
			goto out;
		}
		if (ph.p_type != PT_LOAD || ph.p_filesz == 0)
			continue;
		ret = elf_load_one(ctx, name, data, len, i, &ph, img, t);
		if (ret)
			goto out;
	}
	if (eh.e_entry && eh.e_entry <= UINT32_MAX)
		dfu_image_set_entry(img, (uint32_t)eh.e_entry);
out:
	elf_end(e);
	free(copy);
	return ret;
}

/* The section name table: "", ".shstrtab", then ".load0", ".load1", ... */
static int elf_names(const struct dfu_target *t, char **out, size_t *len)
{
	size_t cap = 1 + sizeof(".shstrtab") + (t ? t->nsegs : 0) * 32, n = 0, i;
	char *s = malloc(cap);

	if (!s)
		return DFU_ERR_NO_MEM;
	s[n++] = '\0';
	memcpy(s + n, ".shstrtab", sizeof(".shstrtab"));
	n += sizeof(".shstrtab");
	for (i = 0; t && i < t->nsegs; i++)
		n += (size_t)snprintf(s + n, cap - n, ".load%zu", i) + 1;
	*out = s;
	*len = n;
	return DFU_OK;
}

/* Reads back what libelf wrote to f. */
static int elf_slurp(struct dfu_ctx *ctx, FILE *f, struct dfu_buf *out)
{
	uint8_t chunk[65536];
	size_t n;

	if (fseek(f, 0, SEEK_SET) != 0)
		return dfu_fail(ctx, DFU_ERR_IO, "ELF temporary file: cannot rewind");
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		dfu_buf_put(out, chunk, n);
	if (ferror(f))
		return dfu_fail(ctx, DFU_ERR_IO, "ELF temporary file: read error");
	return DFU_OK;
}

/*
 * Writes a 32-bit little-endian ARM executable: one PROGBITS section and one
 * PT_LOAD program header per segment (physical = virtual = the segment's
 * address), e_entry the image's entry point. libelf writes only to a file
 * descriptor, so the file is made in a temporary file and read back.
 */
int dfu_fmt_elf_write(struct dfu_ctx *ctx, const struct dfu_image *img,
		      const struct dfu_write_opts *opts, struct dfu_buf *out)
{
	const struct dfu_target *t;
	Elf32_Ehdr *eh;
	Elf32_Phdr *ph = NULL;
	Elf_Scn *scn;
	Elf_Data *d;
	Elf32_Shdr *sh;
	Elf *e = NULL;
	FILE *f = NULL;
	char *names = NULL;
	size_t names_len, nsegs, name_off, i;
	int ret;

	(void)opts;
	ret = dfu_image_single_target(ctx, img, "an ELF file", &t);
	if (ret)
		return ret;
	nsegs = t ? t->nsegs : 0;
	ret = elf_init(ctx);
	if (ret)
		return ret;
	if (elf_names(t, &names, &names_len) != DFU_OK)
		return dfu_fail(ctx, DFU_ERR_NO_MEM, "out of memory");
	f = tmpfile();
	if (!f) {
		ret = dfu_fail(ctx, DFU_ERR_IO, "cannot make a temporary file for ELF output");
		goto out;
	}
	e = elf_begin(fileno(f), ELF_C_WRITE, NULL);
	if (!e || !(eh = elf32_newehdr(e)) || (nsegs && !(ph = elf32_newphdr(e, nsegs)))) {
		ret = dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "libelf: %s", elf_errmsg(-1));
		goto out;
	}
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_ARM;
	eh->e_version = EV_CURRENT;
	eh->e_flags = EF_ARM_EABI_VER5;
	eh->e_entry = img->info.has_entry ? img->info.entry : 0;
	name_off = 1 + sizeof(".shstrtab");
	for (i = 0; i < nsegs; i++) {
		if (!(scn = elf_newscn(e)) || !(d = elf_newdata(scn)) ||
		    !(sh = elf32_getshdr(scn))) {
			ret = dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "libelf: %s", elf_errmsg(-1));
			goto out;
		}
		d->d_buf = t->segs[i].data;
		d->d_size = t->segs[i].size;
		d->d_type = ELF_T_BYTE;
		d->d_align = 1;
		sh->sh_name = (Elf32_Word)name_off;
		sh->sh_type = SHT_PROGBITS;
		sh->sh_flags = SHF_ALLOC | SHF_EXECINSTR | SHF_WRITE;
		sh->sh_addr = t->segs[i].addr;
		sh->sh_addralign = 1;
		name_off += strlen(names + name_off) + 1;
	}
	if (!(scn = elf_newscn(e)) || !(d = elf_newdata(scn)) || !(sh = elf32_getshdr(scn))) {
		ret = dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "libelf: %s", elf_errmsg(-1));
		goto out;
	}
	d->d_buf = names;
	d->d_size = names_len;
	d->d_type = ELF_T_BYTE;
	d->d_align = 1;
	sh->sh_name = 1;
	sh->sh_type = SHT_STRTAB;
	sh->sh_addralign = 1;
	eh->e_shstrndx = (Elf32_Half)elf_ndxscn(scn);
	/* Lay the file out first: the program headers need the offsets. */
	if (elf_update(e, ELF_C_NULL) < 0) {
		ret = dfu_fail(ctx, DFU_ERR_UNSUPPORTED, "libelf: %s", elf_errmsg(-1));
		goto out;
	}
	for (i = 0, scn = NULL; i < nsegs; i++) {
		scn = elf_nextscn(e, scn);
		sh = elf32_getshdr(scn);
		ph[i].p_type = PT_LOAD;
		ph[i].p_offset = sh->sh_offset;
		ph[i].p_vaddr = ph[i].p_paddr = t->segs[i].addr;
		ph[i].p_filesz = ph[i].p_memsz = t->segs[i].size;
		ph[i].p_flags = PF_R | PF_W | PF_X;
		ph[i].p_align = 1;
	}
	elf_flagphdr(e, ELF_C_SET, ELF_F_DIRTY);
	if (elf_update(e, ELF_C_WRITE) < 0) {
		ret = dfu_fail(ctx, DFU_ERR_IO, "libelf: %s", elf_errmsg(-1));
		goto out;
	}
	elf_end(e);
	e = NULL;
	ret = elf_slurp(ctx, f, out);
out:
	elf_end(e);
	if (f)
		fclose(f);
	free(names);
	return ret;
}
