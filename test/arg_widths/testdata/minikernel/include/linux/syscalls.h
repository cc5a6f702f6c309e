long ksys_personality(unsigned int personality);
