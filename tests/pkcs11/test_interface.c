/* interface.c: function lists, interfaces, C_GetInfo, and the exported
 * symbols of the shared object (read from its ELF dynamic symbol table). */
#include "p11test.h"

#include <dlfcn.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_only_c_symbols_exported(void **state)
{
    (void)state;
    const char *path = getenv("DSK_PKCS11_MODULE");
    assert_non_null(path);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *img = malloc((size_t)size);
    assert_int_equal(fread(img, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
    assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
    assert_int_equal(eh->e_ident[EI_CLASS], ELFCLASS64);
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
    int defined = 0, dynsym = 0;
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM)
            continue;
        dynsym = 1;
        const Elf64_Sym *sym = (const Elf64_Sym *)(img + sh[i].sh_offset);
        const char *str = (const char *)(img + sh[sh[i].sh_link].sh_offset);
        size_t n = sh[i].sh_size / sizeof *sym;
        for (size_t k = 0; k < n; k++) {
            int bind = ELF64_ST_BIND(sym[k].st_info);
            if (sym[k].st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK))
                continue;
            const char *name = str + sym[k].st_name;
            if (strncmp(name, "C_", 2) != 0)
                fail_msg("exported symbol that is not a PKCS#11 entry point: %s", name);
            defined++;
        }
    }
    free(img);
    assert_true(dynsym);
    /* 68 functions of 2.40 and 24 of 3.0 */
    assert_int_equal(defined, 92);
}

static void test_lists(void **state)
{
    (void)state;
    assert_int_equal(T.f2->version.major, 2);
    assert_int_equal(T.f2->version.minor, 40);
    assert_int_equal(T.f->version.major, 3);
    assert_int_equal(T.f->version.minor, 0);
    /* Every slot of both lists is filled. */
    void *const *p2 = (void *const *)&T.f2->C_Initialize;
    void *const *end2 = (void *const *)(T.f2 + 1);
    for (; p2 < end2; p2++)
        assert_non_null(*p2);
    void *const *p3 = (void *const *)&T.f->C_Initialize;
    void *const *end3 = (void *const *)(T.f + 1);
    for (; p3 < end3; p3++)
        assert_non_null(*p3);
    /* The lists call the exported functions. */
    assert_ptr_equal(T.f->C_Sign, dlsym(T.dl, "C_Sign"));
    assert_ptr_equal(T.f->C_MessageVerifyFinal, dlsym(T.dl, "C_MessageVerifyFinal"));
    assert_ptr_equal(T.f2->C_WaitForSlotEvent, dlsym(T.dl, "C_WaitForSlotEvent"));
}

static void test_interfaces(void **state)
{
    (void)state;
    CK_ULONG n = 0;
    assert_int_equal(T.f->C_GetInterfaceList(NULL, NULL), CKR_ARGUMENTS_BAD);
    CK(T.f->C_GetInterfaceList(NULL, &n));
    assert_int_equal(n, 2);
    CK_INTERFACE list[2];
    CK_ULONG small = 1;
    assert_int_equal(T.f->C_GetInterfaceList(list, &small), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(small, 2);
    CK(T.f->C_GetInterfaceList(list, &n));
    assert_string_equal((char *)list[0].pInterfaceName, "PKCS 11");
    assert_int_equal(((CK_VERSION *)list[0].pFunctionList)->major, 3);
    assert_int_equal(((CK_VERSION *)list[1].pFunctionList)->major, 2);
    assert_int_equal(list[0].flags & CKF_INTERFACE_FORK_SAFE, 0);

    CK_INTERFACE *i = NULL;
    CK(T.f->C_GetInterface(NULL, NULL, &i, 0));
    assert_ptr_equal(i->pFunctionList, T.f); /* the newest by default */
    CK_VERSION v2 = {2, 40};
    CK(T.f->C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v2, &i, 0));
    assert_ptr_equal(i->pFunctionList, T.f2);
    CK_VERSION v9 = {9, 9};
    assert_int_equal(T.f->C_GetInterface(NULL, &v9, &i, 0), CKR_FUNCTION_FAILED);
    assert_int_equal(T.f->C_GetInterface((CK_UTF8CHAR_PTR) "Vendor X", NULL, &i, 0),
                     CKR_FUNCTION_FAILED);
    assert_int_equal(T.f->C_GetInterface(NULL, NULL, &i, CKF_INTERFACE_FORK_SAFE),
                     CKR_FUNCTION_FAILED);
    assert_int_equal(T.f->C_GetInterface(NULL, NULL, NULL, 0), CKR_ARGUMENTS_BAD);
    assert_int_equal(T.f2->C_GetFunctionList(NULL), CKR_ARGUMENTS_BAD);
}

static void test_info(void **state)
{
    (void)state;
    CK_INFO info;
    assert_int_equal(T.f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
    CK(T.f->C_Initialize(NULL));
    assert_int_equal(T.f->C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
    CK(T.f->C_GetInfo(&info));
    assert_int_equal(info.cryptokiVersion.major, 3);
    assert_int_equal(info.cryptokiVersion.minor, 0);
    CK(T.f2->C_GetInfo(&info));
    assert_int_equal(info.cryptokiVersion.major, 2);
    assert_int_equal(info.cryptokiVersion.minor, 40);
    assert_memory_equal(info.manufacturerID, "dstack ", 7);
    assert_int_equal(info.flags, 0);
    CK(T.f->C_Finalize(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_c_symbols_exported),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_interfaces),
        cmocka_unit_test(test_info),
    };
    if (p11t_setup(NULL, NULL) != 0)
        return 1;
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    p11t_teardown();
    return rc;
}
