# DSR_CHECK_OVS: finds an Open vSwitch source and build tree (as OVN does)
# and sets OVS_CFLAGS and OVS_LIBS to compile against lib/libopenvswitch.a.
# The build tree's config.h is used as ours, so that OVS headers see the
# same configuration the library was compiled with.
AC_DEFUN([DSR_CHECK_OVS], [
  AC_ARG_WITH([ovs-source],
    [AS_HELP_STRING([--with-ovs-source=DIR],
                    [Open vSwitch source tree (see deploy/build-ovs.sh)])],
    [ovs_source=$withval], [ovs_source=])
  AC_ARG_WITH([ovs-build],
    [AS_HELP_STRING([--with-ovs-build=DIR],
                    [Open vSwitch build tree (default: the source tree)])],
    [ovs_build=$withval], [ovs_build=$ovs_source])
  if test -z "$ovs_source"; then
    AC_MSG_ERROR([--with-ovs-source=DIR is required (deploy/build-ovs.sh prints it)])
  fi
  ovs_source=`cd "$ovs_source" && pwd` || AC_MSG_ERROR([$ovs_source: no such directory])
  ovs_build=`cd "$ovs_build" && pwd` || AC_MSG_ERROR([$ovs_build: no such directory])
  AC_MSG_CHECKING([for the Open vSwitch library])
  ovs_lib=$ovs_build/lib/.libs/libopenvswitch.a
  if test ! -f "$ovs_source/include/openvswitch/version.h" \
       || test ! -f "$ovs_build/config.h" || test ! -f "$ovs_lib"; then
    AC_MSG_RESULT([no])
    AC_MSG_ERROR([$ovs_build has no built lib/libopenvswitch.a (run deploy/build-ovs.sh)])
  fi
  AC_MSG_RESULT([$ovs_lib])
  ovs_private_libs=`sed -n 's/^Libs.private: //p' "$ovs_build/lib/libopenvswitch.pc"`
  OVS_CFLAGS="-I$ovs_build -I$ovs_source/include -I$ovs_build/include -I$ovs_source/lib -I$ovs_build/lib -I$ovs_source"
  OVS_LIB=$ovs_lib
  OVS_LIBS="$ovs_private_libs -lpthread -lrt"
  AC_SUBST([OVS_LIB])
  AC_SUBST([OVS_CFLAGS])
  AC_SUBST([OVS_LIBS])
  AC_SUBST([OVS_SOURCE], [$ovs_source])
  AC_SUBST([OVS_BUILD], [$ovs_build])
])
